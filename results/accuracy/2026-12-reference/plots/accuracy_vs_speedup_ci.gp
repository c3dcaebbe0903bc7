# accuracy_vs_speedup_ci.gp — written by `ptc plot` from accuracy rows; data in accuracy_vs_speedup_ci.dat.
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'accuracy_vs_speedup_ci.png'
set grid
set key off
set title 'Accuracy vs inference speedup on bbc (95% intervals on both axes)' noenhanced
set xlabel 'speedup vs BERT (median time per inference batch)'
set ylabel 'accuracy %'
set logscale x 2
set offsets graph 0.05, graph 0.15, graph 0.05, graph 0.05
plot 'accuracy_vs_speedup_ci.dat' using 1:4:2:3:5:6 with xyerrorbars pt 7, \
     '' using 1:4:8 with labels offset 1,1 left noenhanced
