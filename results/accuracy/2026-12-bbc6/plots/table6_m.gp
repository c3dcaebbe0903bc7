# table6_m.gp — written by `ptc plot` from result rows; data in table6_m.dat, caption and
# metadata in table6_m.caption.txt. Re-run inside this folder: gnuplot table6_m.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'table6_m.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'table6_m.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'table6_m.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set title 'PFC by m on bbc'
set xlabel 'combination tokens m'
set ylabel 'test accuracy % (95% CI)'
set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08
set logscale x 2
set y2label 'ratio vs BERT (training step)'
set ytics nomirror
set y2tics
set y2range [*<0.9:1.1<*<2.05]
plot 'table6_m.dat' index 0 using 1:2:3:4 with yerrorlines lc rgb '#0072B2' dt 1 pt 7 lw 2 title 'accuracy (trained)', \
     'table6_m.dat' index 0 using 1:5:6:7 axes x1y2 with yerrorlines lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title 'speedup (train step)', \
     'table6_m.dat' index 0 using 1:8 axes x1y2 with linespoints lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title 'memory (train arena)', \
     94.90636704333333 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT (94.9)"
set output
}
