"""shelfnet: library networking in one package.

Z39.50 and SRU for copy cataloguing, a target directory, and interlibrary loan.
"""

__version__ = "0.1.0"
