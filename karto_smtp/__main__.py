from karto_smtp.cli import main

main()
