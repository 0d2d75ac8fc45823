from rrmm.cli import main

main()
