"""framejit.trace"""
