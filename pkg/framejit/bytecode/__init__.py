"""framejit.bytecode"""
