# The platform as an image (docs/architecture.md §8, docs/operating.md): ybd, yb-router and yb on the pinned Node.js,
# with etcd, git and the image registry from Debian, on the platform's own stack image (no registry pull).
# scripts/build-platform-image.sh assembles the build context: node/ (the pinned runtime), app/ (the compiled
# platform with its production dependencies, buildpacks and service recipes) and this file.
ARG STACK=yunbang/stack:latest
FROM ${STACK}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      etcd-server git docker-registry openssh-client openssl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
COPY node /opt/yunbang-node
COPY app /opt/yunbang
COPY entrypoint /usr/local/bin/yb-platform
RUN printf '#!/bin/sh\nexec /opt/yunbang-node/bin/node /opt/yunbang/dist/bin/yb.js "$@"\n' > /usr/local/bin/yb \
 && chmod 755 /usr/local/bin/yb /usr/local/bin/yb-platform
ENV PATH=/opt/yunbang-node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    YB_DATA_DIR=/var/lib/yunbang
VOLUME /var/lib/yunbang
WORKDIR /opt/yunbang
ENTRYPOINT ["/usr/local/bin/yb-platform"]
