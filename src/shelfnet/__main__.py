from shelfnet.cli import main

main()
