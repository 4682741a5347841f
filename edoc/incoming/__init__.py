"""Incoming documents (văn bản đến, Decree 30 Articles 20-24): intake, số đến, presenting, direction, handling."""
