# speedup_memory_kept_vs_p-layer.gp — written by `ptc plot` from result rows; data in speedup_memory_kept_vs_p-layer.dat, caption and
# metadata in speedup_memory_kept_vs_p-layer.caption.txt. Re-run inside this folder: gnuplot speedup_memory_kept_vs_p-layer.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'speedup_memory_kept_vs_p-layer.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'speedup_memory_kept_vs_p-layer.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,960 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,960 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,6.75in noenhanced font 'sans,9' }
set output 'speedup_memory_kept_vs_p-layer.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set lmargin 12
set multiplot layout 3,1
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set title "Threshold sweep vs p (layer level)"
set ylabel 'speedup (95% CI)'
plot 'speedup_memory_kept_vs_p-layer.dat' index 0 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "PF", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
unset title
unset key
set ylabel 'memory ratio'
plot 'speedup_memory_kept_vs_p-layer.dat' index 0 using 1:5 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "PF", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
set ylabel "keys kept (% of seq,\nmean of layers)"
set xlabel 'preservation ratio p'
plot 'speedup_memory_kept_vs_p-layer.dat' index 0 using 1:6 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "PF"
unset multiplot
set output
}
