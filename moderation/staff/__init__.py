"""Staff: roles from the settings and admins' grants, and running the team."""
