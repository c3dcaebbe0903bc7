# roofline.gp — written by `ptc plot` from result rows; data in roofline.dat.
# Re-run inside this folder: gnuplot roofline.gp
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'roofline.png'
set key outside right top box
set grid
set datafile missing 'NaN'
set title "Roofline: achieved GFLOP/s vs arithmetic intensity\nbert-base, batch 1, length-aware, K/V of kept rows only, m 8, avx512, 1 thread, bound to pu:0, AMD EPYC,\ncommit 0ea721292a2b, run 20261124-032024-default"
# intensity = flops.total / (memory.activations + fp32 weight bytes of the layers
# run): bytes counted once, so intensity is an upper bound.
set logscale xy
set xlabel 'arithmetic intensity (FLOP/byte)'
set ylabel 'GFLOP/s'
set samples 400
set xrange [0.376216:4176.25]
set yrange [*:230.907]
plot (x * 11.532152 < 115.45339 ? x * 11.532152 : 115.45339) with lines lw 2 dt 1 lc rgb 'gray30' title "roof avx512 1t: 115.5 GFLOP/s, 11.53 GB/s", \
     'roofline.dat' index 0 using 1:2 with points pointsize 1.2 title "BERT", \
     'roofline.dat' index 1 using 1:2 with points pointsize 1.2 title "P", \
     'roofline.dat' index 2 using 1:2 with points pointsize 1.2 title "PF", \
     'roofline.dat' index 3 using 1:2 with points pointsize 1.2 title "C", \
     'roofline.dat' index 4 using 1:2 with points pointsize 1.2 title "C L11", \
     'roofline.dat' index 5 using 1:2 with points pointsize 1.2 title "C L7", \
     'roofline.dat' index 6 using 1:2 with points pointsize 1.2 title "PFC L11", \
     'roofline.dat' index 7 using 1:2 with points pointsize 1.2 title "PFC L7"
