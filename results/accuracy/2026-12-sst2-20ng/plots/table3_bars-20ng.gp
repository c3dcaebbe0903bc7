# table3_bars-20ng.gp — written by `ptc plot` from result rows; data in table3_bars-20ng.dat, caption and
# metadata in table3_bars-20ng.caption.txt. Re-run inside this folder: gnuplot table3_bars-20ng.gp
do for [fmt in "png svg pdf"] {
if (fmt eq 'pdf' && strstrt(GPVAL_TERMINALS, 'pdfcairo') == 0) {
    print 'table3_bars-20ng.gp: this gnuplot has no pdfcairo terminal: no PDF'; continue
}
if (fmt eq 'png' && strstrt(GPVAL_TERMINALS, 'pngcairo') == 0) {
    print 'table3_bars-20ng.gp: this gnuplot has no pngcairo terminal: no PNG'; continue
}
reset
if (fmt eq 'png') { set terminal pngcairo size 1000,640 noenhanced font 'sans,10' }
if (fmt eq 'svg') { set terminal svg size 1000,640 dynamic noenhanced font 'sans,11' }
if (fmt eq 'pdf') { set terminal pdfcairo size 7in,4.50in noenhanced font 'sans,9' }
set output 'table3_bars-20ng.'.fmt
set grid
set datafile missing 'NaN'
set key outside top center horizontal Left reverse font ',9' samplen 2.5 spacing 1.1
set style data histograms
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:1.15<*]
set grid noxtics ytics
set xtics scale 0
set tmargin 5
set multiplot layout 1,2
set title 'speedup vs BERT'
set style histogram errorbars gap 1 lw 1
plot 'table3_bars-20ng.dat' using 2:3:4:xtic(1) lc rgb '#0072B2' dt 1 title 'ours (95% CI)', \
     '' using 5:5:5 lc rgb '#D55E00' dt 1 title 'paper (GPU, training)', \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
unset key
set title 'memory vs BERT'
set style histogram clustered gap 1
plot 'table3_bars-20ng.dat' using 6:xtic(1) lc rgb '#0072B2' dt 1 title 'ours', \
     '' using 7 lc rgb '#D55E00' dt 1 title 'paper (GPU, training)', \
     1 with lines lc rgb 'black' dt 2 lw 1.2 title "BERT = 1"
unset multiplot
set output
}
