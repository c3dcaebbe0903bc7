# accuracy_vs_speedup-sst2.gp — written by `ptc plot` from result rows; data in accuracy_vs_speedup-sst2.dat, caption and
# metadata in accuracy_vs_speedup-sst2.caption.txt. Re-run inside this folder: gnuplot accuracy_vs_speedup-sst2.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'accuracy_vs_speedup-sst2.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'accuracy_vs_speedup-sst2.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'accuracy_vs_speedup-sst2.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set title 'Accuracy vs inference speedup on sst2'
set xlabel 'inference speedup vs BERT (95% CI over seeds)'
set ylabel 'test accuracy % (95% CI over seeds)'
set logscale x 2
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb 'black' dt 2 lw 1.2
set xrange [0.3377:1.578]
set object 1 rectangle from graph 0, first 81.9136 to graph 1, first 84.1856 fc rgb '#f0f0f0' fillstyle solid 1.0 noborder behind
plot 'accuracy_vs_speedup-sst2.dat' index 0 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#0072B2' dt 1 pt 7 lw 1.5 pointsize 1.3 title "P", \
     'accuracy_vs_speedup-sst2.dat' index 1 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#D55E00' dt 1 pt 5 lw 1.5 pointsize 1.3 title "PF", \
     'accuracy_vs_speedup-sst2.dat' index 2 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#009E73' dt 1 pt 9 lw 1.5 pointsize 1.3 title "C L5", \
     'accuracy_vs_speedup-sst2.dat' index 3 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 pointsize 1.3 title "PFC L5", \
     83.04960644666666 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT (83.0, grey band: its 95% CI; speedup 1)"
set output
}
