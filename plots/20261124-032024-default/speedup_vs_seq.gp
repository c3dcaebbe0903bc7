# speedup_vs_seq.gp — written by `ptc plot` from result rows; data in speedup_vs_seq.dat.
# Re-run inside this folder: gnuplot speedup_vs_seq.gp
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'speedup_vs_seq.png'
set key outside right top box
set grid
set datafile missing 'NaN'
set title "Speedup against BERT vs sequence length (median, 95% CI)\nbert-base, batch 1, length-aware, K/V of kept rows only, m 8, avx512, 1 thread, bound to pu:0, AMD EPYC,\ncommit 0ea721292a2b, run 20261124-032024-default"
set logscale x 2
set xlabel 'sequence length (tokens)'
set ylabel 'speedup (BERT time / variant time)'
set offsets graph 0.03, graph 0.03, graph 0.05, graph 0.05
plot 'speedup_vs_seq.dat' index 0 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "BERT level=encoder", \
     'speedup_vs_seq.dat' index 1 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "BERT level=kernel", \
     'speedup_vs_seq.dat' index 2 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "P level=encoder p=0.9", \
     'speedup_vs_seq.dat' index 3 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "P level=kernel p=0.9", \
     'speedup_vs_seq.dat' index 4 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "P level=kernel p=0.7", \
     'speedup_vs_seq.dat' index 5 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PF level=encoder p=0.9", \
     'speedup_vs_seq.dat' index 6 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PF level=kernel p=0.9", \
     'speedup_vs_seq.dat' index 7 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PF level=kernel p=0.7", \
     'speedup_vs_seq.dat' index 8 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "C L11 level=encoder", \
     'speedup_vs_seq.dat' index 9 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "C L7 level=encoder", \
     'speedup_vs_seq.dat' index 10 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PFC L11 level=encoder p=0.9", \
     'speedup_vs_seq.dat' index 11 using 1:2:3:4 with yerrorlines pointsize 0.8 lw 1.5 title "PFC L7 level=encoder p=0.9"
