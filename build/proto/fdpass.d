build/proto/fdpass.o: proto/fdpass.c proto/proto.h
proto/proto.h:
