import sys

from asamblea.cli import main

sys.exit(main())
