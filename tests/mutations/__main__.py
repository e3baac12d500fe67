"""`python -m tests.mutations [NAME ...]`: see run.py."""

import sys

from .run import main

sys.exit(main())
