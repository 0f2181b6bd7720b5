"""framejit.guards"""
