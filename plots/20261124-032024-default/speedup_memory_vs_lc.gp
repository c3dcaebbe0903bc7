# speedup_memory_vs_lc.gp — written by `ptc plot` from result rows; data in speedup_memory_vs_lc.dat.
# Re-run inside this folder: gnuplot speedup_memory_vs_lc.gp
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'speedup_memory_vs_lc.png'
set key outside right top box
set grid
set datafile missing 'NaN'
set multiplot layout 2,1
set xlabel 'combining layer L_c'
set xtics 1
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set title "Combining layer: speedup and memory ratio vs L_c\nbert-base, encoder level, batch 1, length-aware, K/V of kept rows only, p 0.9, m 8, avx512, 1 thread,\nbound to pu:0, AMD EPYC, commit 0ea721292a2b, run 20261124-032024-default"
set ylabel 'speedup (95% CI)'
plot 'speedup_memory_vs_lc.dat' index 0 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "C seq=128", \
     'speedup_memory_vs_lc.dat' index 1 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "C seq=256", \
     'speedup_memory_vs_lc.dat' index 2 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "C seq=512", \
     'speedup_memory_vs_lc.dat' index 3 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PFC seq=128", \
     'speedup_memory_vs_lc.dat' index 4 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PFC seq=256", \
     'speedup_memory_vs_lc.dat' index 5 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PFC seq=512"
unset title
set ylabel 'memory ratio'
plot 'speedup_memory_vs_lc.dat' index 0 using 1:5 with linespoints pointsize 0.8 lw 1.5 title "C seq=128", \
     'speedup_memory_vs_lc.dat' index 1 using 1:5 with linespoints pointsize 0.8 lw 1.5 title "C seq=256", \
     'speedup_memory_vs_lc.dat' index 2 using 1:5 with linespoints pointsize 0.8 lw 1.5 title "C seq=512", \
     'speedup_memory_vs_lc.dat' index 3 using 1:5 with linespoints pointsize 0.8 lw 1.5 title "PFC seq=128", \
     'speedup_memory_vs_lc.dat' index 4 using 1:5 with linespoints pointsize 0.8 lw 1.5 title "PFC seq=256", \
     'speedup_memory_vs_lc.dat' index 5 using 1:5 with linespoints pointsize 0.8 lw 1.5 title "PFC seq=512"
unset multiplot
