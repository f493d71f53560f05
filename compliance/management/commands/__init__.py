"""evaluate, make_template, seed_demo, demo_logins."""
