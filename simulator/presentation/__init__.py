"""What people read: the figures' data, the figures, and the HTML report."""
