# accuracy_vs_speedup.gp — written by `ptc plot` from result rows; data in accuracy_vs_speedup.dat.
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'accuracy_vs_speedup.png'
set grid
set key off
set title 'Test accuracy vs inference speedup against BERT' noenhanced
set xlabel 'speedup (median time per batch, BERT = 1)'
set ylabel 'accuracy %'
set offsets 0.05, 0.15, 1, 1
plot 'accuracy_vs_speedup.dat' using 1:2:3 with yerrorbars pt 7, \
     '' using 1:2:5 with labels offset 1,1 left noenhanced
