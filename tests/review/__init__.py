"""Hostile review of issue 9 (helper h9): each test reproduces a defect and fails on the code it was written against."""
