"""The public directory on the web: a page per unit, QR images, open data, a printable poster (issue 13)."""
