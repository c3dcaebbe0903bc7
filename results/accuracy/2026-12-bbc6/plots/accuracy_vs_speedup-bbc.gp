# accuracy_vs_speedup-bbc.gp — written by `ptc plot` from result rows; data in accuracy_vs_speedup-bbc.dat, caption and
# metadata in accuracy_vs_speedup-bbc.caption.txt. Re-run inside this folder: gnuplot accuracy_vs_speedup-bbc.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'accuracy_vs_speedup-bbc.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'accuracy_vs_speedup-bbc.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'accuracy_vs_speedup-bbc.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set title 'Accuracy vs inference speedup on bbc'
set xlabel 'inference speedup vs BERT (95% CI over seeds)'
set ylabel 'test accuracy % (95% CI over seeds)'
set logscale x 2
set offsets graph 0.08, graph 0.08, graph 0.08, graph 0.08
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb 'black' dt 2 lw 1.2
set xrange [0.4976:28.35]
set object 1 rectangle from graph 0, first 94.2617 to graph 1, first 95.551 fc rgb '#f0f0f0' fillstyle solid 1.0 noborder behind
plot 'accuracy_vs_speedup-bbc.dat' index 0 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#0072B2' dt 1 pt 7 lw 1.5 pointsize 1.3 title "P", \
     'accuracy_vs_speedup-bbc.dat' index 1 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#D55E00' dt 1 pt 5 lw 1.5 pointsize 1.3 title "PF p 0.95", \
     'accuracy_vs_speedup-bbc.dat' index 2 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#009E73' dt 1 pt 9 lw 1.5 pointsize 1.3 title "PF", \
     'accuracy_vs_speedup-bbc.dat' index 3 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 pointsize 1.3 title "PF p 0.85", \
     'accuracy_vs_speedup-bbc.dat' index 4 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#E69F00' dt 1 pt 13 lw 1.5 pointsize 1.3 title "PF p 0.8", \
     'accuracy_vs_speedup-bbc.dat' index 5 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 pointsize 1.3 title "PF p 0.75", \
     'accuracy_vs_speedup-bbc.dat' index 6 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#8C564B' dt 1 pt 6 lw 1.5 pointsize 1.3 title "PF p 0.7", \
     'accuracy_vs_speedup-bbc.dat' index 7 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#6A3D9A' dt 1 pt 8 lw 1.5 pointsize 1.3 title "PF p 0.65", \
     'accuracy_vs_speedup-bbc.dat' index 8 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#0072B2' dt 2 pt 10 lw 1.5 pointsize 1.3 title "PF p 0.6", \
     'accuracy_vs_speedup-bbc.dat' index 9 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#D55E00' dt 2 pt 12 lw 1.5 pointsize 1.3 title "C L5", \
     'accuracy_vs_speedup-bbc.dat' index 10 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#009E73' dt 2 pt 1 lw 1.5 pointsize 1.3 title "PFC L1", \
     'accuracy_vs_speedup-bbc.dat' index 11 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#CC79A7' dt 2 pt 2 lw 1.5 pointsize 1.3 title "PFC L2", \
     'accuracy_vs_speedup-bbc.dat' index 12 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#E69F00' dt 2 pt 3 lw 1.5 pointsize 1.3 title "PFC L3", \
     'accuracy_vs_speedup-bbc.dat' index 13 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#56B4E9' dt 2 pt 7 lw 1.5 pointsize 1.3 title "PFC L4", \
     'accuracy_vs_speedup-bbc.dat' index 14 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#8C564B' dt 2 pt 5 lw 1.5 pointsize 1.3 title "PFC L5 m 4", \
     'accuracy_vs_speedup-bbc.dat' index 15 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#6A3D9A' dt 2 pt 9 lw 1.5 pointsize 1.3 title "PFC L5", \
     'accuracy_vs_speedup-bbc.dat' index 16 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#0072B2' dt 3 pt 11 lw 1.5 pointsize 1.3 title "PFC L5 m 16", \
     'accuracy_vs_speedup-bbc.dat' index 17 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#D55E00' dt 3 pt 13 lw 1.5 pointsize 1.3 title "PFC L5 m 32", \
     'accuracy_vs_speedup-bbc.dat' index 18 using 1:4:2:3:5:6 with xyerrorbars lc rgb '#009E73' dt 3 pt 4 lw 1.5 pointsize 1.3 title "PFC L5 m 64", \
     94.90636704333333 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT (94.9, grey band: its 95% CI; speedup 1)"
set output
}
