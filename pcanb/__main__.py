from pcanb.cli import main

raise SystemExit(main())
