import sys

from stylert.cli import main

sys.exit(main())
