# speedup_memory_vs_lc-encoder.gp — written by `ptc plot` from result rows; data in speedup_memory_vs_lc-encoder.dat, caption and
# metadata in speedup_memory_vs_lc-encoder.caption.txt. Re-run inside this folder: gnuplot speedup_memory_vs_lc-encoder.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'speedup_memory_vs_lc-encoder.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'speedup_memory_vs_lc-encoder.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,800 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,800 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,5.62in noenhanced font 'sans,9' }
set output 'speedup_memory_vs_lc-encoder.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set lmargin 12
set multiplot layout 2,1
set xtics 1
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set title "Speedup and memory vs L_c (encoder level)"
set ylabel 'speedup (95% CI)'
plot 'speedup_memory_vs_lc-encoder.dat' index 0 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "C seq=128", \
     'speedup_memory_vs_lc-encoder.dat' index 1 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "C seq=256", \
     'speedup_memory_vs_lc-encoder.dat' index 2 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "C seq=512", \
     'speedup_memory_vs_lc-encoder.dat' index 3 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "PFC seq=128", \
     'speedup_memory_vs_lc-encoder.dat' index 4 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title "PFC seq=256", \
     'speedup_memory_vs_lc-encoder.dat' index 5 using 1:2:3:4 with yerrorlines pointsize 0.8 lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 title "PFC seq=512", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
unset title
unset key
set ylabel 'memory ratio'
set xlabel 'combining layer L_c'
plot 'speedup_memory_vs_lc-encoder.dat' index 0 using 1:5 with linespoints pointsize 0.8 lc rgb '#0072B2' dt 1 pt 7 lw 1.5 title "C seq=128", \
     'speedup_memory_vs_lc-encoder.dat' index 1 using 1:5 with linespoints pointsize 0.8 lc rgb '#D55E00' dt 1 pt 5 lw 1.5 title "C seq=256", \
     'speedup_memory_vs_lc-encoder.dat' index 2 using 1:5 with linespoints pointsize 0.8 lc rgb '#009E73' dt 1 pt 9 lw 1.5 title "C seq=512", \
     'speedup_memory_vs_lc-encoder.dat' index 3 using 1:5 with linespoints pointsize 0.8 lc rgb '#CC79A7' dt 1 pt 11 lw 1.5 title "PFC seq=128", \
     'speedup_memory_vs_lc-encoder.dat' index 4 using 1:5 with linespoints pointsize 0.8 lc rgb '#E69F00' dt 1 pt 13 lw 1.5 title "PFC seq=256", \
     'speedup_memory_vs_lc-encoder.dat' index 5 using 1:5 with linespoints pointsize 0.8 lc rgb '#56B4E9' dt 1 pt 4 lw 1.5 title "PFC seq=512", \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
unset multiplot
set output
}
