# The production on InterSystems IRIS (community edition) with IoP.
ARG IMAGE=intersystemsdc/iris-community:latest
FROM $IMAGE

WORKDIR /irisdev/app
COPY --chown=${ISC_PACKAGE_MGRUSER}:${ISC_PACKAGE_IRISGROUP} . .

# Embedded Python: IoP and the components run inside IRIS, in namespace IRISAPP.
ENV IRISUSERNAME="SuperUser" \
    IRISPASSWORD="SYS" \
    IRISNAMESPACE="IRISAPP" \
    PYTHON_PATH=/usr/irissys/bin/ \
    LD_LIBRARY_PATH=/usr/irissys/bin \
    PATH="/usr/irissys/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    # Packages go where IRIS's embedded Python looks; the shell's python3 sees them too.
    PIP_TARGET=/usr/irissys/mgr/python \
    PYTHONPATH=/irisdev/app/src:/usr/irissys/mgr/python \
    # TuningOperation and the review loader read iris.Review from IRIS itself.
    DATABASE_URL="iris+emb://IRISAPP"

RUN pip3 install --break-system-packages --no-cache-dir -r requirements.txt

RUN iris start IRIS \
    && iris session IRIS < iris.script \
    && python3 -m iop --init \
    # the Visual Trace's image message (needs IOP.Message, so after iop --init)
    && iris session IRIS -U IRISAPP '##class(%SYSTEM.OBJ).Load("/irisdev/app/src/iris/Python/ImageResponse.cls","ck")' \
    && python3 -m iop --migrate /irisdev/app/src/python/settings.py \
    && python3 -m iop --default iris.Production \
    && python3 -m mlcore.reviews_loader --file /irisdev/app/misc/dataset/dataset.txt \
    && iris stop IRIS quietly
