from karto_smtp.cli import run

run()
