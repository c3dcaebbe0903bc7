# memory_vs_seq-kernel.gp — written by `ptc plot` from result rows; data in memory_vs_seq-kernel.dat, caption and
# metadata in memory_vs_seq-kernel.caption.txt. Re-run inside this folder: gnuplot memory_vs_seq-kernel.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'memory_vs_seq-kernel.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'memory_vs_seq-kernel.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,800 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,800 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,5.62in noenhanced font 'sans,9' }
set output 'memory_vs_seq-kernel.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set lmargin 12
set multiplot layout 2,1
set logscale x 2
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set title "Activation memory vs sequence length (kernel level)"
set ylabel 'memory ratio vs BERT'
plot 'memory_vs_seq-kernel.dat' index 0 using 1:2 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "P p=0.9", \
     'memory_vs_seq-kernel.dat' index 1 using 1:2 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "P p=0.7", \
     'memory_vs_seq-kernel.dat' index 2 using 1:2 with linespoints pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "PF p=0.9", \
     'memory_vs_seq-kernel.dat' index 3 using 1:2 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "PF p=0.7", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT"
unset title
unset key
set logscale y
set ylabel 'activations (MiB)'
set xlabel 'sequence length (tokens)'
plot 'memory_vs_seq-kernel.dat' index 0 using 1:3 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "P p=0.9", \
     'memory_vs_seq-kernel.dat' index 1 using 1:3 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "P p=0.7", \
     'memory_vs_seq-kernel.dat' index 2 using 1:3 with linespoints pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "PF p=0.9", \
     'memory_vs_seq-kernel.dat' index 3 using 1:3 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "PF p=0.7", \
     'memory_vs_seq-kernel.dat' index 4 using 1:3 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT"
unset multiplot
set output
}
