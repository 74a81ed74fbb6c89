"""Bot API method implementations, one module per area, and the name -> handler table."""
