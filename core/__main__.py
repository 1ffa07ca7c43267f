"""`python -m core` runs the same console script as `xuewei`."""
from core.cli import main

main()
