"""Allocate memory until something stops it."""
hog = []
while True:
    hog.append(bytearray(32 << 20))
