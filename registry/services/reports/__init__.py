"""The commune's report: drafted from the figures and edited (drafting), numbered, frozen and
verified (sign_off), and digitally signed with the commune's certificate (signing)."""
