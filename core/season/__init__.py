"""The season clock: phases and district windows as rows, the scheduler process, phase actions,
locked preparation lists, the graduates database and the replay of a whole season."""
