"""Who is who: families' sign-in codes and web sessions, staff accounts and what each may see."""
