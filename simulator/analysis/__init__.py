"""What the runs say: statistics over replications (intervals, paired tests, Holm)."""
