"""Side effects: grading, label dose changes for the drugs given now, supportive care, symptom trends."""
