#!/usr/bin/env perl
use strict;
use warnings;

# Print the mean of the numbers given on standard input.
my ($sum, $n) = (0, 0);
while (my $line = <STDIN>) {
    chomp $line;
    next unless length $line;
    $sum += $line;
    $n++;
}
printf "mean %.3f of %d values\n", $n ? $sum / $n : 0, $n;
