# roofline-encoder.gp — written by `ptc plot` from result rows; data in roofline-encoder.dat, caption and
# metadata in roofline-encoder.caption.txt. Re-run inside this folder: gnuplot roofline-encoder.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'roofline-encoder.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'roofline-encoder.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'roofline-encoder.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set title "Roofline (encoder level)"
# intensity = flops.total / (memory.activations + fp32 weight bytes of the layers
# run): bytes counted once, so intensity is an upper bound.
set logscale xy
set xlabel 'arithmetic intensity (FLOP/byte)'
set ylabel 'GFLOP/s'
set samples 400
set xrange [2.50286:642.302]
set yrange [*:230.907]
plot (x * 11.532152 < 115.45339 ? x * 11.532152 : 115.45339) with lines lw 2 lc rgb 'gray30' dt 1 title "roof avx512 1t: 115.5 GFLOP/s, 11.53 GB/s", \
     'roofline-encoder.dat' index 0 using 1:2 with points lc rgb '#0072B2' dt 1 pt 7 pointsize 1.2 title "BERT", \
     'roofline-encoder.dat' index 1 using 1:2 with points lc rgb '#D55E00' dt 1 pt 5 pointsize 1.2 title "P", \
     'roofline-encoder.dat' index 2 using 1:2 with points lc rgb '#009E73' dt 1 pt 9 pointsize 1.2 title "PF", \
     'roofline-encoder.dat' index 3 using 1:2 with points lc rgb '#CC79A7' dt 1 pt 11 pointsize 1.2 title "C L11", \
     'roofline-encoder.dat' index 4 using 1:2 with points lc rgb '#E69F00' dt 1 pt 13 pointsize 1.2 title "C L7", \
     'roofline-encoder.dat' index 5 using 1:2 with points lc rgb '#56B4E9' dt 1 pt 4 pointsize 1.2 title "PFC L11", \
     'roofline-encoder.dat' index 6 using 1:2 with points lc rgb '#8C564B' dt 1 pt 6 pointsize 1.2 title "PFC L7"
set output
}
