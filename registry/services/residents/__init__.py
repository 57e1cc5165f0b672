"""The resident register and its disease-control cards: the register (and its import), the
cards (numbers, issue, revoke, print selection) and the card scan at a venue's door."""
