# memory_vs_seq.gp — written by `ptc plot` from result rows; data in memory_vs_seq.dat.
# Re-run inside this folder: gnuplot memory_vs_seq.gp
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'memory_vs_seq.png'
set key outside right top box
set grid
set datafile missing 'NaN'
set multiplot layout 2,1
set logscale x 2
set xlabel 'sequence length (tokens)'
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
set title "Activation memory vs sequence length (memory.activations)\nbert-base, batch 1, length-aware, K/V of kept rows only, m 8, avx512, 1 thread, bound to pu:0, AMD EPYC,\ncommit 0ea721292a2b, run 20261124-032024-default"
set ylabel 'memory ratio (variant / BERT)'
plot 'memory_vs_seq.dat' index 0 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "BERT level=encoder", \
     'memory_vs_seq.dat' index 1 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "BERT level=kernel", \
     'memory_vs_seq.dat' index 2 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "P level=encoder p=0.9", \
     'memory_vs_seq.dat' index 3 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "P level=kernel p=0.9", \
     'memory_vs_seq.dat' index 4 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "P level=kernel p=0.7", \
     'memory_vs_seq.dat' index 5 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "PF level=encoder p=0.9", \
     'memory_vs_seq.dat' index 6 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "PF level=kernel p=0.9", \
     'memory_vs_seq.dat' index 7 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "PF level=kernel p=0.7", \
     'memory_vs_seq.dat' index 8 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "C L11 level=encoder", \
     'memory_vs_seq.dat' index 9 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "C L7 level=encoder", \
     'memory_vs_seq.dat' index 10 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "PFC L11 level=encoder p=0.9", \
     'memory_vs_seq.dat' index 11 using 1:2 with linespoints pointsize 0.8 lw 1.5 title "PFC L7 level=encoder p=0.9"
unset title
set logscale y
set ylabel 'activations (MiB)'
plot 'memory_vs_seq.dat' index 0 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "BERT level=encoder", \
     'memory_vs_seq.dat' index 1 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "BERT level=kernel", \
     'memory_vs_seq.dat' index 2 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "P level=encoder p=0.9", \
     'memory_vs_seq.dat' index 3 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "P level=kernel p=0.9", \
     'memory_vs_seq.dat' index 4 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "P level=kernel p=0.7", \
     'memory_vs_seq.dat' index 5 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "PF level=encoder p=0.9", \
     'memory_vs_seq.dat' index 6 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "PF level=kernel p=0.9", \
     'memory_vs_seq.dat' index 7 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "PF level=kernel p=0.7", \
     'memory_vs_seq.dat' index 8 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "C L11 level=encoder", \
     'memory_vs_seq.dat' index 9 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "C L7 level=encoder", \
     'memory_vs_seq.dat' index 10 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "PFC L11 level=encoder p=0.9", \
     'memory_vs_seq.dat' index 11 using 1:3 with linespoints pointsize 0.8 lw 1.5 title "PFC L7 level=encoder p=0.9"
unset multiplot
