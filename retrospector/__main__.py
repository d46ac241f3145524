from retrospector.cli import main

main()
