from intragraph.cli import main

main()
