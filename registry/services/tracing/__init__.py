"""Contact tracing: finding a person's visits and who overlapped them, across all four
sources (search), and the cases that hold what they found, with their F1 contacts (cases)."""
