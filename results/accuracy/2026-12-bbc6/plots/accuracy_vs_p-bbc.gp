# accuracy_vs_p-bbc.gp — written by `ptc plot` from result rows; data in accuracy_vs_p-bbc.dat, caption and
# metadata in accuracy_vs_p-bbc.caption.txt. Re-run inside this folder: gnuplot accuracy_vs_p-bbc.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'accuracy_vs_p-bbc.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'accuracy_vs_p-bbc.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'accuracy_vs_p-bbc.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set title 'Accuracy vs p on bbc'
set xlabel 'preservation ratio p'
set ylabel 'test accuracy % (95% CI over seeds)'
set offsets graph 0.03, graph 0.03, graph 0.08, graph 0.08
plot 'accuracy_vs_p-bbc.dat' index 0 using ($1-0.0150):2:3:4 with yerrorlines lc rgb '#0072B2' dt 1 pt 7 lw 1.5 pointsize 0.9 title "P trained", \
     'accuracy_vs_p-bbc.dat' index 1 using ($1-0.0120):2:3:4 with yerrorlines lc rgb '#D55E00' dt 1 pt 5 lw 1.5 pointsize 0.9 title "PF trained", \
     'accuracy_vs_p-bbc.dat' index 2 using ($1-0.0090):2:3:4 with yerrorlines lc rgb '#009E73' dt 1 pt 9 lw 1.5 pointsize 0.9 title "PFC L1 trained", \
     'accuracy_vs_p-bbc.dat' index 3 using ($1-0.0060):2:3:4 with yerrorlines lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 pointsize 0.9 title "PFC L2 trained", \
     'accuracy_vs_p-bbc.dat' index 4 using ($1-0.0030):2:3:4 with yerrorlines lc rgb '#E69F00' dt 1 pt 13 lw 1.5 pointsize 0.9 title "PFC L3 trained", \
     'accuracy_vs_p-bbc.dat' index 5 using ($1+0.0000):2:3:4 with yerrorlines lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 pointsize 0.9 title "PFC L4 trained", \
     'accuracy_vs_p-bbc.dat' index 6 using ($1+0.0030):2:3:4 with yerrorlines lc rgb '#8C564B' dt 1 pt 6 lw 1.5 pointsize 0.9 title "PFC L5 m 4 trained", \
     'accuracy_vs_p-bbc.dat' index 7 using ($1+0.0060):2:3:4 with yerrorlines lc rgb '#6A3D9A' dt 1 pt 8 lw 1.5 pointsize 0.9 title "PFC L5 trained", \
     'accuracy_vs_p-bbc.dat' index 8 using ($1+0.0090):2:3:4 with yerrorlines lc rgb '#0072B2' dt 2 pt 10 lw 1.5 pointsize 0.9 title "PFC L5 m 16 trained", \
     'accuracy_vs_p-bbc.dat' index 9 using ($1+0.0120):2:3:4 with yerrorlines lc rgb '#D55E00' dt 2 pt 12 lw 1.5 pointsize 0.9 title "PFC L5 m 32 trained", \
     'accuracy_vs_p-bbc.dat' index 10 using ($1+0.0150):2:3:4 with yerrorlines lc rgb '#009E73' dt 2 pt 1 lw 1.5 pointsize 0.9 title "PFC L5 m 64 trained", \
     94.90636704333333 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT (94.9)"
set output
}
