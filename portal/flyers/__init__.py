"""Printable flyers for a hub's or an activity's noticeboard: the next meetings, how to book, the hub's
contacts and two QR codes (the page, the calendar feed), in the reader's language, as an A4 PDF."""
