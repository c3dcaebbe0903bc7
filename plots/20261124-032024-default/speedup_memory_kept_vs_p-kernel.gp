# speedup_memory_kept_vs_p-kernel.gp — written by `ptc plot` from result rows; data in speedup_memory_kept_vs_p-kernel.dat, caption and
# metadata in speedup_memory_kept_vs_p-kernel.caption.txt. Re-run inside this folder: gnuplot speedup_memory_kept_vs_p-kernel.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'speedup_memory_kept_vs_p-kernel.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'speedup_memory_kept_vs_p-kernel.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,960 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,960 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,6.75in noenhanced font 'sans,9' }
set output 'speedup_memory_kept_vs_p-kernel.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set lmargin 12
set multiplot layout 3,1
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set title "Threshold sweep vs p (kernel level)"
set ylabel 'speedup (95% CI)'
plot 'speedup_memory_kept_vs_p-kernel.dat' index 0 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "P seq=128", \
     'speedup_memory_kept_vs_p-kernel.dat' index 1 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "P seq=256", \
     'speedup_memory_kept_vs_p-kernel.dat' index 2 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "P seq=512", \
     'speedup_memory_kept_vs_p-kernel.dat' index 3 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "P seq=1024", \
     'speedup_memory_kept_vs_p-kernel.dat' index 4 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title "P seq=2048", \
     'speedup_memory_kept_vs_p-kernel.dat' index 5 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 title "P seq=4096", \
     'speedup_memory_kept_vs_p-kernel.dat' index 6 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#8C564B' dt 1 pt 6 lw 1.5 title "PF seq=128", \
     'speedup_memory_kept_vs_p-kernel.dat' index 7 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#6A3D9A' dt 1 pt 8 lw 1.5 title "PF seq=256", \
     'speedup_memory_kept_vs_p-kernel.dat' index 8 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#0072B2' dt 2 pt 10 lw 1.5 title "PF seq=512", \
     'speedup_memory_kept_vs_p-kernel.dat' index 9 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#D55E00' dt 2 pt 12 lw 1.5 title "PF seq=1024", \
     'speedup_memory_kept_vs_p-kernel.dat' index 10 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#009E73' dt 2 pt 1 lw 1.5 title "PF seq=2048", \
     'speedup_memory_kept_vs_p-kernel.dat' index 11 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#CC79A7' dt 2 pt 2 lw 1.5 title "PF seq=4096", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
unset title
unset key
set ylabel 'memory ratio'
plot 'speedup_memory_kept_vs_p-kernel.dat' index 0 using 1:5 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "P seq=128", \
     'speedup_memory_kept_vs_p-kernel.dat' index 1 using 1:5 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "P seq=256", \
     'speedup_memory_kept_vs_p-kernel.dat' index 2 using 1:5 with linespoints pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "P seq=512", \
     'speedup_memory_kept_vs_p-kernel.dat' index 3 using 1:5 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "P seq=1024", \
     'speedup_memory_kept_vs_p-kernel.dat' index 4 using 1:5 with linespoints pointsize 0.8 lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title "P seq=2048", \
     'speedup_memory_kept_vs_p-kernel.dat' index 5 using 1:5 with linespoints pointsize 0.8 lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 title "P seq=4096", \
     'speedup_memory_kept_vs_p-kernel.dat' index 6 using 1:5 with linespoints pointsize 0.8 lc rgb '#8C564B' dt 1 pt 6 lw 1.5 title "PF seq=128", \
     'speedup_memory_kept_vs_p-kernel.dat' index 7 using 1:5 with linespoints pointsize 0.8 lc rgb '#6A3D9A' dt 1 pt 8 lw 1.5 title "PF seq=256", \
     'speedup_memory_kept_vs_p-kernel.dat' index 8 using 1:5 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 2 pt 10 lw 1.5 title "PF seq=512", \
     'speedup_memory_kept_vs_p-kernel.dat' index 9 using 1:5 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 2 pt 12 lw 1.5 title "PF seq=1024", \
     'speedup_memory_kept_vs_p-kernel.dat' index 10 using 1:5 with linespoints pointsize 0.8 lc rgb '#009E73' dt 2 pt 1 lw 1.5 title "PF seq=2048", \
     'speedup_memory_kept_vs_p-kernel.dat' index 11 using 1:5 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 2 pt 2 lw 1.5 title "PF seq=4096", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
set ylabel "keys kept (% of seq,\nmean of layers)"
set xlabel 'preservation ratio p'
plot 'speedup_memory_kept_vs_p-kernel.dat' index 0 using 1:6 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "P seq=128", \
     'speedup_memory_kept_vs_p-kernel.dat' index 1 using 1:6 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "P seq=256", \
     'speedup_memory_kept_vs_p-kernel.dat' index 2 using 1:6 with linespoints pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "P seq=512", \
     'speedup_memory_kept_vs_p-kernel.dat' index 3 using 1:6 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "P seq=1024", \
     'speedup_memory_kept_vs_p-kernel.dat' index 4 using 1:6 with linespoints pointsize 0.8 lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title "P seq=2048", \
     'speedup_memory_kept_vs_p-kernel.dat' index 5 using 1:6 with linespoints pointsize 0.8 lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 title "P seq=4096", \
     'speedup_memory_kept_vs_p-kernel.dat' index 6 using 1:6 with linespoints pointsize 0.8 lc rgb '#8C564B' dt 1 pt 6 lw 1.5 title "PF seq=128", \
     'speedup_memory_kept_vs_p-kernel.dat' index 7 using 1:6 with linespoints pointsize 0.8 lc rgb '#6A3D9A' dt 1 pt 8 lw 1.5 title "PF seq=256", \
     'speedup_memory_kept_vs_p-kernel.dat' index 8 using 1:6 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 2 pt 10 lw 1.5 title "PF seq=512", \
     'speedup_memory_kept_vs_p-kernel.dat' index 9 using 1:6 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 2 pt 12 lw 1.5 title "PF seq=1024", \
     'speedup_memory_kept_vs_p-kernel.dat' index 10 using 1:6 with linespoints pointsize 0.8 lc rgb '#009E73' dt 2 pt 1 lw 1.5 title "PF seq=2048", \
     'speedup_memory_kept_vs_p-kernel.dat' index 11 using 1:6 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 2 pt 2 lw 1.5 title "PF seq=4096"
unset multiplot
set output
}
