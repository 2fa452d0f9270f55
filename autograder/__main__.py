from autograder.launch import main

raise SystemExit(main())
