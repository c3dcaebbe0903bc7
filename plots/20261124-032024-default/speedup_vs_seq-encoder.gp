# speedup_vs_seq-encoder.gp — written by `ptc plot` from result rows; data in speedup_vs_seq-encoder.dat, caption and
# metadata in speedup_vs_seq-encoder.caption.txt. Re-run inside this folder: gnuplot speedup_vs_seq-encoder.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'speedup_vs_seq-encoder.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'speedup_vs_seq-encoder.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'speedup_vs_seq-encoder.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set title "Speedup vs sequence length (encoder level)"
set logscale x 2
set xlabel 'sequence length (tokens)'
set ylabel 'speedup vs BERT (95% CI)'
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
plot 'speedup_vs_seq-encoder.dat' index 0 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "P", \
     'speedup_vs_seq-encoder.dat' index 1 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "PF", \
     'speedup_vs_seq-encoder.dat' index 2 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "C L11", \
     'speedup_vs_seq-encoder.dat' index 3 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "C L7", \
     'speedup_vs_seq-encoder.dat' index 4 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title "PFC L11", \
     'speedup_vs_seq-encoder.dat' index 5 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 title "PFC L7", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
set output
}
