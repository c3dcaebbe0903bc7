# accuracy_vs_p.gp — written by `ptc plot` from result rows; data in accuracy_vs_p.dat.
set terminal pngcairo size 1100,700 noenhanced font 'sans,10'
set output 'accuracy_vs_p.png'
set key outside right top box
set grid
set title 'Test accuracy vs preservation ratio p (cf. paper Table 4)' noenhanced
set xlabel 'p'
set ylabel 'accuracy %'
plot 'accuracy_vs_p.dat' index 0 using 1:2:3 with yerrorlines title 'P', \
     'accuracy_vs_p.dat' index 1 using 1:2:3 with yerrorlines title 'PF', \
     'accuracy_vs_p.dat' index 2 using 1:2:3 with yerrorlines title 'PFC L3', \
     96.2547 with lines dashtype 2 title 'BERT (96.3)'
